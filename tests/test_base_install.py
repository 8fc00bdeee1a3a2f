"""`pip install mnist_digits` with no extra: a fresh virtual environment without torch or fastai, at most 400 MB, that
reads digits and numbers with the shipped model and names the extra a training command needs."""
import subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT

EXAMPLES = ROOT/'mnist_digits'/'examples'

@pytest.fixture(scope='module')
def base_venv(tmp_path_factory) -> Path:
    "A fresh venv with the package installed from this checkout (not editable), as a user's `pip install` does."
    venv = tmp_path_factory.mktemp('base')/'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    pip = subprocess.run([venv/'bin'/'python', '-m', 'pip', 'install', '-q', str(ROOT)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-2000:]
    return venv

def test_base_install_has_no_torch_and_fits_in_400_mb(base_venv):
    listed = subprocess.run([base_venv/'bin'/'python', '-m', 'pip', 'list', '--format=freeze'], capture_output=True,
                            text=True, check=True).stdout.lower()
    names = {line.split('==')[0] for line in listed.split()}
    assert not names & {'torch', 'fastai', 'torchvision', 'fastcore', 'matplotlib', 'gradio'}, names
    assert {'numpy', 'pillow', 'scipy', 'onnxruntime', 'mnist_digits'} <= {n.replace('-', '_') for n in names}, names
    size = sum(p.stat().st_size for p in base_venv.rglob('*') if p.is_file() and not p.is_symlink())
    assert size <= 400 * 2**20, f'{size / 2**20:.0f} MB'

def test_base_install_reads_with_the_shipped_model(base_venv, tmp_path):
    run = lambda *args: subprocess.run([base_venv/'bin'/'mnist-digits', *args], cwd=tmp_path, capture_output=True,
                                       text=True, timeout=120)
    seven, number = run('predict', str(EXAMPLES/'seven.png')), run('read', str(EXAMPLES/'number.png'))
    assert seven.returncode == 0 and seven.stdout.split(': ')[1].startswith('7, '), (seven.stdout, seven.stderr)
    assert number.returncode == 0 and number.stdout.split(': ')[1].startswith('2026 ('), (number.stdout, number.stderr)
    for command, extra in (('train', 'train'), ('evaluate', 'train'), ('app', 'app'), ('export', 'onnx')):
        refused = run(command)
        assert refused.returncode == 2 and refused.stderr.splitlines()[-1].endswith(f'pip install "mnist_digits[{extra}]"'), refused.stderr
    assert not (tmp_path/'models').exists()
