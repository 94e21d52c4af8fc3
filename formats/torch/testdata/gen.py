"""Writes the PyTorch checkpoint fixtures for formats/torch's tests.

Run from this folder with Debian's torch 1.13:  /usr/bin/python3 gen.py
Values are deterministic (seeded); expected.json holds them for the Go test.
"""
import collections, json, pickle, torch

torch.manual_seed(7)
sd = collections.OrderedDict()
sd["conv.weight"] = torch.randn(4, 3, 3, 3)
sd["conv.bias"] = torch.randn(4)
sd["bn.running_var"] = torch.rand(4) + 0.5
sd["bn.num_batches_tracked"] = torch.tensor(12, dtype=torch.long)
sd["fc.weight"] = torch.randn(5, 8).t()  # non-contiguous: stride (1, 5)
sd["half"] = torch.randn(6).half()
sd["double"] = torch.randn(2, 3, dtype=torch.float64)
base = torch.randn(10)
sd["view_a"] = base[2:6]  # shares storage with view_b at an offset
sd["view_b"] = base[5:]

torch.save(sd, "state_dict.pt")
torch.save({"epoch": 3, "state_dict": {("module." + k): v for k, v in sd.items()}}, "wrapped.pth")
torch.save(sd, "legacy.pth", _use_new_zipfile_serialization=False)


class Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


with open("evil.pt", "wb") as f:
    pickle.dump({"w": Evil()}, f, protocol=2)

expected = {k: {"shape": list(v.shape), "values": v.float().reshape(-1).tolist()} for k, v in sd.items()}
with open("expected.json", "w") as f:
    json.dump(expected, f)
