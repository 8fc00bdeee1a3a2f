"""Checkpoints written by earlier versions keep loading."""
import json
import torch
from mnist_digits.model import build_model, load_model, save_model

def test_checkpoint_named_with_an_old_architecture_key_loads(tmp_path):
    "mnist_digits 0.0.1 saved the fast and accurate CNNs as arch 'fast' and 'accurate'; they load as fast_cnn, accurate_cnn."
    for old, new in (('fast', 'fast_cnn'), ('accurate', 'accurate_cnn')):
        torch.manual_seed(0)
        model = build_model(new).eval()
        weights = save_model(model, tmp_path/old, old)
        assert json.loads((tmp_path/f'{old}.json').read_text())['arch'] == old  # written as 0.0.1 wrote it
        loaded = load_model(weights)
        x = torch.randn(3, 1, 28, 28)
        assert torch.allclose(loaded(x), model(x), atol=1e-5)
