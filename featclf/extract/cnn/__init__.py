"""Frozen CNN backbones (plain PyTorch) for image embeddings."""
