"""Shared fixtures and helpers: where the real MNIST files are, the installed console script, a fresh Python."""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which('mnist-digits', path=str(Path(sys.executable).parent)) or 'mnist-digits'

def cli(*args, cwd, env=None, timeout=180) -> subprocess.CompletedProcess:
    "Run the installed `mnist-digits` console script with `args` in `cwd`; return the finished process."
    return subprocess.run([SCRIPT, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)

@pytest.fixture(scope='session')
def mnist_folder() -> Path:
    "The folder with the four real MNIST files: $MNIST_DIGITS_DATA, else ../shared/data/mnist beside the project."
    folder = Path(os.environ.get('MNIST_DIGITS_DATA') or ROOT.parent/'shared'/'data'/'mnist')
    if not (folder/'t10k-labels-idx1-ubyte.gz').exists() and not (folder/'t10k-labels-idx1-ubyte').exists():
        pytest.skip(f'no MNIST files in {folder}: set MNIST_DIGITS_DATA')
    return folder

def run_python(code:str, cwd, env=None, timeout=120) -> subprocess.CompletedProcess:
    "Run `code` in a fresh interpreter (the one running the tests) in `cwd`; return the finished process."
    return subprocess.run([sys.executable, '-c', code], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
