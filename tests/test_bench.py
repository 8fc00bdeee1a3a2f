"""The benchmark script still runs: a smoke run (tiny training subset, one seed). Real benchmarks are not tests."""
import subprocess, sys
from conftest import ROOT

def test_bench_smoke(tmp_path, mnist_folder):
    proc = subprocess.run([sys.executable, str(ROOT/'bench'/'bench.py'), '--smoke', '--presets', 'fast'], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '| fast | 1 |' in proc.stdout and 'images/s' in proc.stdout and 'Loading MNIST from the cache' in proc.stdout
    row = next(l for l in proc.stdout.splitlines() if l.startswith('| fast | **'))  # the fit-time ratio against the recipe
    _, ratio, target, met = [cell.strip().strip('*') for cell in row.strip(' |').split('|')]
    assert met == ('yes' if float(ratio) <= float(target) else 'no'), row  # the verdict is the ratio's
    assert not (tmp_path/'bench').exists()  # a smoke run writes no report
