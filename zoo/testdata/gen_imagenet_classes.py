"""Writes the ImageNet-1k class names, one per line in class-index order,
from torchvision 0.14's ResNet50_Weights.IMAGENET1K_V1.meta["categories"].

Usage: /usr/bin/python3 testdata/gen_imagenet_classes.py imagenet_classes.txt
(run from zoo/; go generate does this).
"""
import sys

from torchvision.models import ResNet50_Weights

cats = ResNet50_Weights.IMAGENET1K_V1.meta["categories"]
assert len(cats) == 1000, len(cats)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for c in cats:
        assert "\n" not in c
        f.write(c + "\n")
