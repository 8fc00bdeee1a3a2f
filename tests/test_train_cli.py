"""`mnist-digits train` as a user runs it: the installed console script, real files, exit codes, Ctrl-C and --resume."""
import json, shutil, signal, subprocess, sys, time
import pytest
from conftest import ROOT, SCRIPT, cli, run_python

def test_json_output_and_files(trained):
    "The session's model (conftest.py): `train --json` printed one JSON object and wrote the model's two files."
    result, work = trained['result'], trained['work']  # stdout was exactly one JSON object; the bars went to stderr
    assert {'model', 'test_accuracy', 'valid_accuracy', 'train_seconds', 'preset'} <= set(result)
    assert result['preset'] == 'fast' and 0.85 < result['test_accuracy'] <= 1 and result['train_seconds'] > 0
    assert trained['files'] == ['fast.json', 'fast.onnx', 'fast.safetensors']
    meta = json.loads((work/'models'/'fast.json').read_text())
    assert meta['arch'] == 'fast_cnn' and meta['test_accuracy'] == result['test_accuracy']
    assert meta['settings']['subset'] == 5000 and meta['normalization']['mean'] == pytest.approx(0.1307, abs=1e-4)

def test_reload_without_fastai_reproduces_accuracy(trained):
    "A fresh process that never imports fastai rebuilds the model and gets the reported test accuracy exactly."
    work, result = trained['work'], trained['result']
    code = f"""
import sys, json
from mnist_digits.model import model_accuracy
from mnist_digits.checkpoints import load_model
from mnist_digits.data import load_mnist
model = load_model({result['model']!r})
_, _, x, y = load_mnist()
print(json.dumps({{'acc': model_accuracy(model, x, y), 'fastai': any(m.startswith('fastai') for m in sys.modules)}}))
"""
    out = run_python(code, work)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got == {'acc': result['test_accuracy'], 'fastai': False}

def test_train_py_prints_a_plain_table_in_a_pipe(tmp_path, mnist_folder):
    "`python train.py` is `mnist-digits train`; in a pipe it prints a header and a line per epoch, then the summary."
    proc = subprocess.run([sys.executable, str(ROOT/'train.py'), '--preset', 'fast', '--subset', '2000', '--name', 'via_train_py'],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 4 and lines[0].split()[:2] == ['epoch', 'train_loss'] and lines[1].split()[0] == '0', proc.stdout
    assert '[' not in proc.stdout and '\r' not in proc.stdout  # no bar redraws, no raw lists
    assert ' after 1 epoch, ' in lines[2] and lines[3] == 'model saved to models/via_train_py.safetensors'

def test_ctrl_c_keeps_best_model_and_resume_finishes(tmp_path, mnist_folder):
    "SIGINT after the first epoch saves the best model so far (exit 130); --resume then finishes the run."
    # 40 short epochs (600 images, 500 to validate): the signal lands long before the end, however fast the machine, and the resumed
    # 39 take seconds, however slow.
    args = ['train', '--preset', 'fast', '--subset', '600', '--valid-size', '500', '--epochs', '40', '--batch-size', '64']
    # A shell starts background jobs with SIGINT ignored (as CI may run us); a terminal's Ctrl-C reaches a process
    # whose SIGINT is at its default, so the child gets that.
    proc = subprocess.Popen([SCRIPT, *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    resume_file = tmp_path/'models'/'fast.resume.json'
    deadline = time.time() + 600
    while not resume_file.exists() and time.time() < deadline and proc.poll() is None: time.sleep(0.05)
    assert resume_file.exists(), 'no resume checkpoint appeared'
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    assert '--resume to finish' in err and err.strip().splitlines()[-1].startswith('mnist-digits train: error: training interrupted')
    meta = json.loads((tmp_path/'models'/'fast.json').read_text())
    assert meta['finished'] is False and 1 <= meta['epochs_done'] < 40
    done = cli('train', '--preset', 'fast', '--resume', cwd=tmp_path, timeout=600)  # piped: the plain-text table, epochs left only
    assert done.returncode == 0, done.stderr
    header, *rows, accuracy_line, saved_line = done.stdout.strip().splitlines()
    assert header.split() == ['epoch', 'train_loss', 'valid_loss', 'accuracy', 'error_rate', 'time']
    assert 1 <= len(rows) < 40 and all(len(r.split()) == 6 for r in rows), done.stdout
    assert [int(r.split()[0]) for r in rows] == list(range(40 - len(rows), 40))
    assert accuracy_line.startswith('test accuracy ') and 'after 40 epochs' in accuracy_line
    assert saved_line == 'model saved to models/fast.safetensors'
    meta = json.loads((tmp_path/'models'/'fast.json').read_text())
    assert meta['finished'] is True and meta['epochs_done'] == 40
    assert sorted(p.name for p in (tmp_path/'models').iterdir()) == ['fast.json', 'fast.onnx', 'fast.safetensors']

def test_mixed_precision_flags(tmp_path, mnist_folder):
    "--mixed-precision trains the forward pass in bfloat16 on the CPU (recorded in the summary and the checkpoint), --no-mixed-precision in float32; both learn."
    runs = {}
    for flag in ('--mixed-precision', '--no-mixed-precision'):
        proc = cli('train', '--preset', 'fast', '--subset', '2000', '--name', flag.strip('-'), '--json', flag, '--device', 'cpu', cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        runs[flag] = json.loads(proc.stdout)
        assert json.loads((tmp_path/'models'/f"{flag.strip('-')}.json").read_text())['precision'] == runs[flag]['precision']
    assert (runs['--mixed-precision']['precision'], runs['--no-mixed-precision']['precision']) == ('bf16', 'fp32')
    assert all(r['test_accuracy'] > 0.8 for r in runs.values()), runs  # both learn
    refused = cli('train', '--preset', 'fast', '--name', 'mixed-precision', '--resume', '--no-mixed-precision', cwd=tmp_path)
    assert refused.returncode != 0 and "own precision; drop mixed_precision" in refused.stderr
