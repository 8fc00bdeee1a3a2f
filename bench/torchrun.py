"""One process against several under torchrun: accuracy and fit time of the same presets, seeds and global batch.

    python bench/torchrun.py [--presets fast classic] [--seeds 3] [--processes 2]

Runs `mnist-digits train --preset P --seed S --json` as one process and as N processes under
`python -m torch.distributed.run --standalone --nproc_per_node N` (one thread each), alternating the two for each
seed, in a temporary folder; prints a markdown table: test accuracy per seed, its mean, and the median fit time.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile
from pathlib import Path

SCRIPT = str(Path(sys.executable).parent/'mnist-digits')

def run(preset:str, seed:int, processes:int, folder:str) -> dict:
    "The JSON summary of one training run."
    launch = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(processes)] if processes > 1 else []
    env = {**os.environ, **({'OMP_NUM_THREADS': str(max(1, (os.cpu_count() or 1) // processes))} if processes > 1 else {})}
    proc = subprocess.run([*launch, SCRIPT, 'train', '--preset', preset, '--seed', str(seed), '--name', f'{preset}-{seed}-{processes}',
                           '--overwrite', '--json'], cwd=folder, env=env, capture_output=True, text=True)
    if proc.returncode: sys.exit(proc.stderr)
    return json.loads(proc.stdout)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--presets', nargs='+', default=['fast', 'classic'], help='presets to train')
    p.add_argument('--seeds', type=int, default=3, help='seeds 0 .. N-1')
    p.add_argument('--processes', type=int, default=2, help='processes under torchrun')
    args = p.parse_args()
    print('| preset | processes | test accuracy per seed | mean | fit s (median) |\n|---|---:|---|---:|---:|')
    with tempfile.TemporaryDirectory() as folder:
        for preset in args.presets:
            results = {1: [], args.processes: []}
            for seed in range(args.seeds):
                for n in results: results[n].append(run(preset, seed, n, folder))
            for n, rs in results.items():
                accs = [r['test_accuracy'] for r in rs]
                print(f"| {preset} | {n} | {', '.join(f'{a:.2%}' for a in accs)} | {statistics.mean(accs):.2%} | "
                      f"{statistics.median(r['train_seconds'] for r in rs):.1f} |", flush=True)
