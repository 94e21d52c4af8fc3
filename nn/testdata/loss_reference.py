"""Prints the PyTorch reference values that nn/loss_test.go hard-codes.

Run with Debian's interpreter: /usr/bin/python3 nn/testdata/loss_reference.py
"""
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=10)
logits = torch.tensor([[1.0, -2.0, 0.5, 3.0],
                       [0.0, 0.25, -1.0, 2.0],
                       [-3.0, 1.5, 2.5, -0.5]], dtype=torch.float64)
labels = torch.tensor([3, 0, 2])
probs = torch.tensor([[0.1, 0.2, 0.3, 0.4],
                      [1.0, 0.0, 0.0, 0.0],
                      [0.0, 0.5, 0.5, 0.0]], dtype=torch.float64)
w = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64)

print("ce_int", F.cross_entropy(logits, labels).item())
print("ce_int_smooth", F.cross_entropy(logits, labels, label_smoothing=0.1).item())
print("ce_int_weight", F.cross_entropy(logits, labels, weight=w).item())
print("ce_int_weight_smooth", F.cross_entropy(logits, labels, weight=w, label_smoothing=0.2).item())
print("ce_prob", F.cross_entropy(logits, probs).item())
print("ce_prob_weight_smooth", F.cross_entropy(logits, probs, weight=w, label_smoothing=0.2).item())

targets = torch.tensor([[1.0, 0.0, 0.5, 1.0],
                        [0.0, 1.0, 0.0, 0.25],
                        [1.0, 1.0, 0.0, 0.0]], dtype=torch.float64)
pw = torch.tensor([2.0, 0.5, 1.0, 3.0], dtype=torch.float64)
print("bce", F.binary_cross_entropy_with_logits(logits, targets).item())
print("bce_pos_weight", F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pw).item())
big = torch.tensor([[100.0, -100.0]], dtype=torch.float64)
print("bce_extreme", F.binary_cross_entropy_with_logits(big, torch.tensor([[0.0, 1.0]], dtype=torch.float64)).item())
