"""The `resnet` preset as a user runs it: ImageNet weights from torch's hub cache (a stand-in the test writes there, since
these machines cannot download the real file), one line when the file is missing and cannot be downloaded, and
`--no-pretrained` training on a subset into a checkpoint that loads without fastai."""
import json, os
from pathlib import Path
import pytest
import torch
from conftest import cli, run_python

QUICK = ['--subset', '1024', '--valid-size', '256', '--batch-size', '64', '--epochs', '1', '--json']
OFFLINE = {'https_proxy': 'http://127.0.0.1:9', 'http_proxy': 'http://127.0.0.1:9',  # every download goes to a closed port
           'HTTPS_PROXY': 'http://127.0.0.1:9', 'HTTP_PROXY': 'http://127.0.0.1:9', 'no_proxy': '', 'NO_PROXY': ''}

@pytest.fixture
def work(tmp_path, mnist_folder):
    "A folder to run in, with an empty torch hub cache (TORCH_HOME) of its own."
    (tmp_path/'torch').mkdir()
    return tmp_path

def env(work) -> dict: return {'TORCH_HOME': str(work/'torch'), **OFFLINE}

def cached_weights(work) -> Path: return work/'torch'/'hub'/'checkpoints'/'resnet18-f37072fd.pth'

def stand_in(work) -> dict:
    "Write the weights of a randomly initialised torchvision ResNet-18 where torchvision's ImageNet file belongs; return them."
    from torchvision.models import resnet18
    torch.manual_seed(1)
    state = resnet18().state_dict()
    cached_weights(work).parent.mkdir(parents=True)
    torch.save(state, cached_weights(work))
    return state

def test_no_pretrained_trains_and_loads_without_fastai(work):
    proc = cli('train', '--preset', 'resnet', '--no-pretrained', *QUICK, '--subset', '2048', cwd=work, env=env(work), timeout=300)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r['arch'] == 'resnet18' and r['preset'] == 'resnet' and r['epochs_done'] == 1 and r['test_accuracy'] > 0.5
    assert sorted(p.name for p in (work/'models').iterdir()) == ['resnet.json', 'resnet.onnx', 'resnet.safetensors']
    assert json.loads((work/'models'/'resnet.json').read_text())['settings']['pretrained'] is False
    assert list((work/'torch').iterdir()) == []  # nothing was fetched
    code = ("import sys, json; from mnist_digits.checkpoints import load_model; from mnist_digits.model import model_accuracy; from mnist_digits.data import load_mnist; "
            "m = load_model('models/resnet.safetensors'); _, _, x, y = load_mnist(); "
            "print(json.dumps([model_accuracy(m, x, y), any(k.split('.')[0] == 'fastai' for k in sys.modules)]))")
    loaded = run_python(code, work, env=env(work))
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == [r['test_accuracy'], False]  # the same answers, without fastai

def test_offline_without_the_file_is_one_line(work):
    proc = cli('train', '--preset', 'resnet', *QUICK, cwd=work, env=env(work))
    assert proc.returncode == 2 and proc.stdout == ''
    assert proc.stderr.count('\n') == 1 and proc.stderr.startswith("mnist-digits train: error: cannot download ResNet-18's ImageNet weights")
    assert f"put resnet18-f37072fd.pth from https://download.pytorch.org/models/resnet18-f37072fd.pth into {work}/torch/hub/checkpoints/" in proc.stderr
    assert proc.stderr.rstrip().endswith('or train with --no-pretrained')
    assert not (work/'models').exists() or list((work/'models').iterdir()) == []
    assert list((work/'torch'/'hub'/'checkpoints').iterdir()) == []  # no partial download left

def test_a_hostile_cache_file_is_one_line(work):
    "A pickle that would run a command when loaded: refused in one line (the notebook tests damaged and foreign files)."
    cached_weights(work).parent.mkdir(parents=True)
    cached_weights(work).write_bytes(b'cos\nsystem\n(S"echo hi"\ntR.')
    message = 'is not a readable weights file'
    proc = cli('train', '--preset', 'resnet', *QUICK, cwd=work, env=env(work))
    assert proc.returncode == 2 and proc.stderr.count('\n') == 1 and message in proc.stderr, proc.stderr
    assert 'delete it so it is downloaded again, or train with --no-pretrained' in proc.stderr and 'hi\n' not in proc.stdout

def test_an_interrupted_pretrained_run_resumes(work, monkeypatch):
    "Ctrl-C in the second unfrozen epoch keeps the best model; --resume finishes from Adam's saved state, offline, without the cache."
    from fastai.callback.core import Callback
    from mnist_digits.training import TrainingInterrupted, train
    state = stand_in(work)
    for k, v in env(work).items(): monkeypatch.setenv(k, v)
    class CtrlCInSecondUnfrozenEpoch(Callback):
        def before_epoch(self):
            if self.epoch == 1 and all(p.requires_grad for p in self.learn.model.parameters()): raise KeyboardInterrupt
    quick = dict(subset=512, valid_size=256, bs=64, progress='none')
    with pytest.raises(TrainingInterrupted, match='after 1 of 2 epochs'):
        train('resnet', models_dir=work/'models', epochs=2, cbs=[CtrlCInSecondUnfrozenEpoch()], **quick)
    cached_weights(work).unlink()  # a resumed run brings its own weights: the cache is not needed
    class OptimizerState(Callback):  # what the optimizer holds when the resumed fit starts
        def before_fit(self): self.steps = [s.get('step', 0) for s in self.learn.opt.state.values()]
    seen = OptimizerState()
    done = train('resnet', models_dir=work/'models', resume=True, progress='none', cbs=[seen])
    assert seen.steps and min(seen.steps) > 0  # Adam's averages and step counts came back (unfreezing again would clear them)
    assert (done['finished'], done['epochs_done']) == (True, 2)
    assert sorted(p.name for p in (work/'models').iterdir()) == ['resnet.json', 'resnet.onnx', 'resnet.safetensors']
    from safetensors.torch import load_file
    start, end = state['conv1.weight'], load_file(work/'models'/'resnet.safetensors')['0.0.1.weight']
    assert 0 < (end - start).norm() < 0.5 * start.norm()  # the stem started from the cached weights and moved a little (lr / 100)
