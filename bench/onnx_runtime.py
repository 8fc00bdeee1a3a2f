"""Reading digits before (torch) and after (onnxruntime), side by side: whole-process time and peak memory of the
command line, the app's start-up, round trip and memory, and the size of a fresh install. A benchmark, not a test.

    python bench/onnx_runtime.py --before 4d568f9            # the commit to compare with; runs interleaved, medians
    python bench/onnx_runtime.py --before 4d568f9 --sizes    # also installs both into fresh venvs (minutes, GBs)

"Before" is the package at that commit, run by this same virtual environment (its checkout goes first on PYTHONPATH);
"after" is this working tree. Every command is the console script as a user runs it, in an empty folder, so both
read with the shipped model (the same weights). Time is wall-clock from start to exit, peak memory the process's
maximum resident set (`/usr/bin/time -f %M`). Writes bench/results-onnx-runtime.json and prints a markdown table.
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent/'mnist-digits'
EXAMPLES = ROOT/'mnist_digits'/'examples'

def checkout(commit:str) -> Path:
    "The package's files at `commit`, in a temporary folder."
    folder = Path(tempfile.mkdtemp(prefix='before-'))
    archive = subprocess.run(['git', '-C', str(ROOT), 'archive', commit], capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', str(folder)], input=archive, check=True)
    return folder

def timed(args:list, env:dict, cwd:Path) -> tuple[float, float]:
    "Wall seconds and peak resident MiB of one run of `mnist-digits args`."
    out = cwd/'time.txt'
    proc = subprocess.run(['/usr/bin/time', '-f', '%e %M', '-o', str(out), str(SCRIPT), *args], env=env, cwd=cwd,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    seconds, kb = out.read_text().split()[-2:]
    return float(seconds), int(kb) / 1024

def folder_of_digits(n:int) -> Path:
    "`n` MNIST test digits as dark-on-light PNG files, a user's folder of scans."
    from mnist_digits.data import load_mnist
    folder = Path(tempfile.mkdtemp(prefix='digits-'))
    for i, x in enumerate(load_mnist()[2][:n]): Image.fromarray(255 - x).resize((56, 56)).save(folder/f'{i:04d}.png')
    return folder

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def app_run(env:dict, cwd:Path, requests:int) -> dict:
    "Start `mnist-digits app`; seconds until it answers, the median round trip of /predict, its peak memory."
    from gradio_client import Client, handle_file
    port, start = free_port(), time.perf_counter()
    proc = subprocess.Popen([str(SCRIPT), 'app', '--port', str(port)], env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=1): break
            except OSError: time.sleep(0.02)
        started = time.perf_counter() - start
        client, trips = Client(f'http://127.0.0.1:{port}/', verbose=False), []
        for _ in range(requests):
            t = time.perf_counter(); client.predict(handle_file(str(EXAMPLES/'seven.png')), api_name='/predict')
            trips.append(time.perf_counter() - t)
        peak = int(next(l for l in Path(f'/proc/{proc.pid}/status').read_text().splitlines()
                        if l.startswith('VmHWM')).split()[1]) / 1024
        return {'start_s': started, 'round_trip_ms': statistics.median(trips) * 1000, 'peak_mib': peak}
    finally: proc.terminate(); proc.wait()

def venv_size(package:str) -> dict:
    "A fresh venv with `pip install package`: its size and whether torch came with it."
    venv = Path(tempfile.mkdtemp(prefix='venv-'))/'v'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    start = time.perf_counter()
    subprocess.run([str(venv/'bin'/'python'), '-m', 'pip', 'install', '-q', package], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in venv.rglob('*') if p.is_file() and not p.is_symlink())
    torch = (venv/'lib').glob('python*/site-packages/torch')
    result = {'mib': size / 2**20, 'install_s': seconds, 'torch': any(torch)}
    shutil.rmtree(venv.parent)
    return result

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--before', required=True, help='the commit to compare with')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--requests', type=int, default=50, help='round trips per app start')
    parser.add_argument('--sizes', action='store_true', help='also measure fresh installs (slow)')
    args = parser.parse_args()
    before = checkout(args.before)
    envs = {'before': {**os.environ, 'PYTHONPATH': str(before)}, 'after': {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}}
    digits, cwd = folder_of_digits(1000), Path(tempfile.mkdtemp(prefix='cwd-'))
    cases = {'predict one file': ['predict', str(EXAMPLES/'seven.png')],
             'predict a folder of 1,000': ['predict', str(digits)],
             'read a four-digit number': ['read', str(EXAMPLES/'number.png')]}
    rows = {case: {side: [] for side in envs} for case in cases}
    for _ in range(args.runs):  # interleaved: before and after share whatever the machine is doing
        for case, command in cases.items():
            for side, env in envs.items(): rows[case][side].append(timed(command, env, cwd))
    results = {case: {side: {'s': statistics.median(r[0] for r in runs), 'mib': statistics.median(r[1] for r in runs),
                             'runs': runs} for side, runs in sides.items()} for case, sides in rows.items()}
    apps = {side: [app_run(env, cwd, args.requests) for _ in range(3)] for side, env in envs.items()}
    results['app'] = {side: {k: statistics.median(a[k] for a in runs) for k in runs[0]} | {'runs': runs}
                      for side, runs in apps.items()}
    if args.sizes:
        results['fresh install'] = {'before': venv_size(str(before)), 'after': venv_size(str(ROOT))}
    results['command'] = f'python bench/onnx_runtime.py --before {args.before}' + (' --sizes' if args.sizes else '')
    results['machine'] = f'{os.cpu_count()} CPUs, {platform()}'
    (ROOT/'bench'/'results-onnx-runtime.json').write_text(json.dumps(results, indent=1) + '\n')
    print('| | before (torch) | after (onnxruntime) |\n|---|---:|---:|')
    for case in cases:
        b, a = results[case]['before'], results[case]['after']
        print(f"| `{' '.join(cases[case][:1])}`: {case} | {b['s']:.2f} s, {b['mib']:.0f} MiB | {a['s']:.2f} s, {a['mib']:.0f} MiB |")
    b, a = results['app']['before'], results['app']['after']
    print(f"| app: start-up to a page | {b['start_s']:.2f} s | {a['start_s']:.2f} s |")
    print(f"| app: round trip of /predict (median of {args.requests}) | {b['round_trip_ms']:.0f} ms | {a['round_trip_ms']:.0f} ms |")
    print(f"| app: peak memory | {b['peak_mib']:.0f} MiB | {a['peak_mib']:.0f} MiB |")
    if args.sizes:
        b, a = results['fresh install']['before'], results['fresh install']['after']
        print(f"| fresh `pip install` (base) | {b['mib']:,.0f} MB, torch {b['torch']} | {a['mib']:,.0f} MB, torch {a['torch']} |")

def platform() -> str:
    import platform as p
    return f'{p.machine()}, Python {p.python_version()}'

if __name__ == '__main__': main()
