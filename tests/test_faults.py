"""Faults a real machine produces, done for real: SIGKILL during training and during a save, two runs racing for one name."""
import hashlib, json, random, signal, subprocess, sys, time
from pathlib import Path
from conftest import SCRIPT, cli, run_python

def _consistent(models:Path, name:str):
    "The JSON's weights SHA-256 is that of the weights file, and no half-written or kept-aside file is left."
    meta = json.loads((models/f'{name}.json').read_text())
    assert meta['weights_sha256'] == hashlib.sha256((models/f'{name}.safetensors').read_bytes()).hexdigest()
    assert not [p.name for p in models.iterdir() if p.name.startswith('.')]

def test_sigkill_in_training_then_resume_finishes(tmp_path, mnist_folder):
    "kill -9 after the first epoch's resume checkpoint: nothing to clean up by hand, and --resume finishes the run."
    # 30 short epochs (600 images, 500 to validate): killed long before the end on a fast machine, resumed in seconds on a slow one
    proc = subprocess.Popen([SCRIPT, 'train', '--preset', 'fast', '--subset', '600', '--valid-size', '500', '--epochs', '30', '--batch-size', '64'],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    resume_file, deadline = tmp_path/'models'/'fast.resume.json', time.time() + 600
    while not resume_file.exists() and time.time() < deadline and proc.poll() is None: time.sleep(0.05)
    assert resume_file.exists(), 'no resume checkpoint appeared'
    proc.send_signal(signal.SIGKILL); proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    refused = cli('train', '--preset', 'fast', cwd=tmp_path)  # a fresh run may not silently throw the interrupted one away
    assert refused.returncode == 2 and 'an interrupted run of fast' in refused.stderr
    done = cli('train', '--preset', 'fast', '--resume', '--json', cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result['finished'], result['epochs_done']) == (True, 30) and result['test_accuracy'] > 0.8, result
    assert sorted(p.name for p in (tmp_path/'models').iterdir()) == ['fast.json', 'fast.onnx', 'fast.safetensors']
    _consistent(tmp_path/'models', 'fast')

SAVE_AND_DIE = """
import os, signal, torch
import mnist_digits.checkpoints as c, mnist_digits.model as m
torch.manual_seed(0); first = m.classic_cnn(); c.save_model(first, 'models/m', 'classic_cnn')
torch.save(first.state_dict(), 'first.pt')  # for the test's comparison only
real, calls = c.atomic_write, []
def dies_before_the_json(path, write, folder=False):
    calls.append(path)
    if len(calls) == 2: os.kill(os.getpid(), signal.SIGKILL)  # the new weights are in place, the JSON is not
    return real(path, write, folder)
c.atomic_write = dies_before_the_json
c.save_model(m.classic_cnn(), 'models/m', 'classic_cnn')
"""

def test_sigkill_between_the_two_files_of_a_save_keeps_the_previous_model(tmp_path):
    "The worst moment, made certain: killed after the new weights replaced the old, before the new JSON."
    out = run_python(SAVE_AND_DIE, tmp_path)
    assert out.returncode == -signal.SIGKILL, out.stderr
    check = """
import torch, mnist_digits.checkpoints as c
model, first = c.load_model('models/m'), torch.load('first.pt')
print(all(torch.equal(v, first[k]) for k, v in model.state_dict().items()))
"""
    out = run_python(check, tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == 'True', out.stderr  # the previous model, whole

SAVE_FOREVER = """
import sys, torch, mnist_digits.checkpoints as c, mnist_digits.model as m
models = [m.accurate_cnn() for _ in range(2)]
for i in range(10**6): c.save_model(models[i % 2], 'models/m', 'accurate_cnn', i=i); print(i, flush=True)
"""

def test_sigkill_at_random_moments_of_saving(tmp_path):
    "A process saving two models in turn over one name, killed at random moments: what loads is one of them, whole."
    import torch
    from mnist_digits.checkpoints import load_model
    from mnist_digits.model import accurate_cnn
    torch.manual_seed(0)
    models = [accurate_cnn().state_dict() for _ in range(2)]  # what SAVE_FOREVER saves: same seed, same order
    rng = random.Random(0)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, '-c', 'import torch; torch.manual_seed(0)\n' + SAVE_FOREVER], cwd=tmp_path,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == '0'  # a first model exists
        time.sleep(rng.uniform(0, 0.5))
        proc.send_signal(signal.SIGKILL); proc.wait(timeout=30)
        model = load_model(tmp_path/'models'/'m')  # raises if the pair does not belong together
        i = model.meta['i']
        assert all(torch.equal(v, models[i % 2][k]) for k, v in model.state_dict().items()), f'model {i} is not whole'

def test_two_runs_with_one_name_end_with_a_consistent_pair(tmp_path, mnist_folder):
    "Two `train` processes saving the same name at the same time: whichever wins, its two files belong together."
    args = ['train', '--preset', 'fast', '--subset', '2000', '--name', 'same', '--overwrite', '--json']
    procs = [subprocess.Popen([SCRIPT, *args, '--seed', str(seed)], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-500:] for _, err in outs]
    _consistent(tmp_path/'models', 'same')
    seed = json.loads((tmp_path/'models'/'same.json').read_text())['settings']['seed']
    out = run_python("import mnist_digits.checkpoints as c; print(c.load_model('models/same').meta['settings']['seed'])", tmp_path)
    assert out.returncode == 0 and int(out.stdout) == seed in (1, 2)
