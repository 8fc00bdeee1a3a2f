"""`mnist-digits train` under torchrun: two processes on this CPU (gloo) train one model, as N GPUs or machines would."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
from conftest import SCRIPT, run_python

TORCHRUN = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2']  # what `torchrun` runs
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}  # one thread per process, on 2 cores (torchrun would set it, with a warning)

def torchrun(*args, cwd, timeout=600) -> subprocess.CompletedProcess:
    "Run `mnist-digits *args` as two processes under torchrun in `cwd`; return the finished launcher."
    return subprocess.run([*TORCHRUN, SCRIPT, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)

def processes_in(folder:Path) -> list[int]:
    "The process ids whose working directory is `folder` (the launcher and its workers)."
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            if Path(f'/proc/{pid}/cwd').resolve() == folder.resolve(): found.append(int(pid))
        except OSError: pass
    return found

def test_two_processes_train_one_model(tmp_path, mnist_folder):
    proc = torchrun('train', '--preset', 'fast', '--subset', '3000', '--json', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()  # one summary, from process 0
    r = json.loads(line)
    assert r['processes'] == 2 and r['epochs_done'] == 1 and r['finished'] and r['test_accuracy'] > 0.9
    assert 'Traceback' not in proc.stderr and 'Error' not in proc.stderr, proc.stderr
    assert [l.split()[0] for l in proc.stderr.splitlines() if l.strip().startswith(('epoch', '0'))] == ['epoch', '0']  # one table
    assert sorted(p.name for p in (tmp_path/'models').iterdir()) == ['fast.json', 'fast.onnx', 'fast.safetensors']
    meta = json.loads((tmp_path/'models'/'fast.json').read_text())
    assert meta['processes'] == 2 and meta['test_accuracy'] == r['test_accuracy']
    code = ("import sys; from mnist_digits.checkpoints import load_model; load_model('models/fast.safetensors'); "
            "print(any(m.split('.')[0] == 'fastai' for m in sys.modules))")
    loads = run_python(code, tmp_path)
    assert loads.returncode == 0 and loads.stdout.strip() == 'False', loads.stderr  # the same format, loaded without fastai

def test_a_batch_that_does_not_split_is_one_line(tmp_path, mnist_folder):
    proc = torchrun('train', '--preset', 'fast', '--subset', '2000', '--batch-size', '127', cwd=tmp_path)
    assert proc.returncode != 0 and not (tmp_path/'models').exists()
    ours = [l for l in proc.stderr.splitlines() if l.startswith('mnist-digits train: error:')]
    assert ours == ['mnist-digits train: error: a batch of 127 does not split evenly over 2 processes: use a multiple of 2'], proc.stderr

def test_ctrl_c_stops_every_process_and_resume_finishes(tmp_path, mnist_folder):
    "Ctrl-C (SIGINT to the terminal's process group) after an epoch: process 0 saves the best model; --resume finishes."
    # 30 short epochs (600 images, 500 to validate): the signal lands long before the end, the resumed epochs take seconds
    args = ['train', '--preset', 'fast', '--subset', '600', '--valid-size', '500', '--epochs', '30', '--batch-size', '64']
    proc = subprocess.Popen([*TORCHRUN, SCRIPT, *args], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,  # a process group of its own, as a terminal's job
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # CI may start us with SIGINT ignored
    resume_file = tmp_path/'models'/'fast.resume.json'
    deadline = time.time() + 600
    while not resume_file.exists() and time.time() < deadline and proc.poll() is None: time.sleep(0.05)
    assert resume_file.exists(), 'no resume checkpoint appeared'
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode != 0
    ours = [l for l in err.splitlines() if l.startswith('mnist-digits train: error:')]
    assert len(ours) == 1 and ours[0].startswith('mnist-digits train: error: training interrupted after'), err  # one line
    deadline = time.time() + 60
    while processes_in(tmp_path) and time.time() < deadline: time.sleep(0.2)
    assert processes_in(tmp_path) == []  # every worker is gone
    meta = json.loads((tmp_path/'models'/'fast.json').read_text())
    assert meta['finished'] is False and 1 <= meta['epochs_done'] < 30 and meta['processes'] == 2
    done = torchrun('train', '--preset', 'fast', '--resume', '--json', cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    assert (r['finished'], r['epochs_done'], r['processes']) == (True, 30, 2) and r['test_accuracy'] > 0.8, r
    assert sorted(p.name for p in (tmp_path/'models').iterdir()) == ['fast.json', 'fast.onnx', 'fast.safetensors']
