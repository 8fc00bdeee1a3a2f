"""Benchmarks of mnist_digits on this machine: presets over several seeds, a plain-PyTorch restatement of the public
one-epoch recipe run alternately, data loading and inference. Writes a markdown report.

    python bench/bench.py                                   # fast and seed presets, 5 seeds each (a few minutes)
    python bench/bench.py --presets fast classic --seeds 5 --out bench/results-fast-seed.md      # bench/results.md, issue 14
    python bench/bench.py --presets classic --seeds 3 --train-flags=--no-mixed-precision --out bench/results-seed-fp32.md
    python bench/bench.py --presets accurate --seeds 3      # long: minutes per seed

Every preset run follows a run of the public one-epoch recipe (restated in plain PyTorch, in a fresh process too), and the
report gives each preset's median fit time divided by the median of the recipe runs that alternated with it: this
shared machine's speed swings 1.5-2x between runs, so only ratios measured side by side mean anything. Each training
run is a separate `mnist-digits train --json` process, so its whole-process time and peak memory are real; `train_seconds` is the fitting alone, as the command reports it. Accuracy is always on the 10,000 test images
after training. Benchmarks are not tests: CI runs only `--smoke`.
"""
import argparse, json, os, platform, shlex, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from mnist_digits.data import load_mnist, normalize
from mnist_digits.loaders import split_train_valid

def machine() -> str:
    "A line describing this machine: CPU model, cores, torch version and threads."
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor()) \
        if Path('/proc/cpuinfo').exists() else platform.processor()
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads), GPU: "
            f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}")

def run_train(preset:str, seed:int, models_dir:Path, extra=()) -> dict:
    "One `mnist-digits train --json` process: its JSON summary plus whole-process seconds and peak memory (MiB)."
    script = Path(sys.executable).parent/'mnist-digits'
    cmd = [str(script), 'train', '--preset', preset, '--seed', str(seed), '--json', '--models-dir', str(models_dir),
           '--name', f'{preset}-{seed}', *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0: raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-2000:]}")
    result = json.loads(out)
    result['process_seconds'] = wall
    return result

def peak_rss_children_mib() -> float:
    "Peak resident memory of the largest child process so far, in MiB."
    import resource
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

def recipe_net() -> nn.Module:
    "The public one-epoch recipe's network, restated: 24 and 32 5x5 filters with pooling, a dense layer of 256."
    return nn.Sequential(nn.Conv2d(1, 24, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(24, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32*4*4, 256), nn.ReLU(), nn.Linear(256, 10))

def run_recipe(seed:int, data) -> dict:
    "The public recipe in plain PyTorch, in this process: whole data set as tensors, batch 256, Adam, one-cycle, 1 epoch."
    x, y, xt, yt = data
    torch.manual_seed(seed)
    model, bs, lr = recipe_net(), 256, 3e-3
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = len(x) // bs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    start = time.perf_counter()
    perm = torch.randperm(len(x))
    model.train()
    for i in range(steps):
        idx = perm[i*bs:(i+1)*bs]
        loss = F.cross_entropy(model(normalize(x[idx])), y[idx])
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad(): acc = (model(normalize(xt)).argmax(1) == yt).float().mean().item()
    return {'test_accuracy': acc, 'train_seconds': seconds}

def run_recipe_process(seed:int, smoke:bool=False) -> dict:
    "`run_recipe` in a fresh Python process, as each preset runs in a fresh `mnist-digits train`: both pay a first fit's costs."
    cmd = [sys.executable, __file__, '--recipe', str(seed), *(['--smoke'] if smoke else [])]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0: raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)

def recipe_data(smoke:bool=False):
    "The recipe's training tensors (our 55,000 training images; 2,000 of them for a smoke run) and the test set."
    x, y, xt, yt = load_mnist()
    train_idx, _ = split_train_valid(len(x), 5000, 42)  # the same 55,000 training images our presets use
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    if smoke: train_idx = train_idx[:2000]
    return t(x[train_idx]).unsqueeze(1), t(y[train_idx]).long(), t(xt).unsqueeze(1), t(yt).long()

def inference_speed(model_path:str, repeats:int=5, plain:bool=False) -> float:
    "Images per second of batched prediction (batches of 1024) over the 10,000 test images, median of `repeats`; `plain`: without test-time averaging."
    from mnist_digits.model import ShiftAverage, logits
    from mnist_digits.checkpoints import load_model
    model = load_model(model_path)
    if plain and isinstance(model, ShiftAverage): model = model.net
    _, _, xt, _ = load_mnist()
    logits(model, xt[:1024])  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); logits(model, xt, bs=1024); times.append(time.perf_counter() - start)
    return len(xt) / statistics.median(times)

def predict_process_seconds(model_path:str, repeats:int=5) -> float:
    "Whole-process seconds of `mnist-digits predict` on one PNG, median of `repeats`."
    from PIL import Image
    _, _, xt, _ = load_mnist()
    with tempfile.TemporaryDirectory() as d:
        png = Path(d)/'digit.png'
        Image.fromarray(255 - np.kron(xt[0], np.ones((4, 4), np.uint8))).save(png)
        script = Path(sys.executable).parent/'mnist-digits'
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([str(script), 'predict', str(png), '--model', model_path], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)

def cache_load_seconds(repeats:int=5) -> float:
    load_mnist()
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); load_mnist(); times.append(time.perf_counter() - start)
    return statistics.median(times)

def summarize(rows:list) -> dict:
    accs = [r['test_accuracy'] for r in rows]
    return {'seeds': len(rows), 'acc_mean': statistics.mean(accs), 'acc_min': min(accs), 'acc_max': max(accs),
            'train_median': statistics.median(r['train_seconds'] for r in rows),
            'process_median': statistics.median(r['process_seconds'] for r in rows) if 'process_seconds' in rows[0] else None}

TARGETS = {'fast': 0.25, 'classic': 2.5}  # issue 14: the most each preset's fit may take, as a multiple of the recipe's

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--presets', nargs='+', default=['fast', 'classic'], help='presets to run (default: fast classic)')
    p.add_argument('--seeds', type=int, default=5, help='seeds per preset (default: 5)')
    p.add_argument('--first-seed', type=int, default=0, help='seeds run from this one (default: 0)')
    p.add_argument('--out', default='bench/results.md', help='markdown report (default: bench/results.md)')
    p.add_argument('--smoke', action='store_true', help='a tiny run that checks the benchmark works (for CI); writes no report')
    p.add_argument('--train-flags', default='', help='more flags for every `mnist-digits train`, e.g. --train-flags=--no-mixed-precision')
    p.add_argument('--recipe', type=int, metavar='SEED', help='only run the recipe once with this seed and print its JSON (what each alternating run does)')
    args = p.parse_args(argv)
    if args.recipe is not None: return print(json.dumps(run_recipe(args.recipe, recipe_data(args.smoke))))
    extra = (['--subset', '2000'] if args.smoke else []) + shlex.split(args.train_flags)
    seeds = 1 if args.smoke else args.seeds
    results, recipes, command = {}, {}, 'python bench/bench.py ' + ' '.join(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory() as d:
        for preset in args.presets:
            rows, recipe_rows = [], []
            for seed in range(args.first_seed, args.first_seed + seeds):
                recipe_rows.append(run_recipe_process(seed, args.smoke))  # the recipe alternates with every run, so both see the same machine state
                print(f"recipe   seed {seed}: {recipe_rows[-1]['test_accuracy']:.4f} in {recipe_rows[-1]['train_seconds']:.2f} s", flush=True)
                rows.append(run_train(preset, seed, Path(d), extra))
                print(f"{preset:8} seed {seed}: {rows[-1]['test_accuracy']:.4f} in {rows[-1]['train_seconds']:.2f} s "
                      f"(process {rows[-1]['process_seconds']:.2f} s)", flush=True)
            results[preset] = summarize(rows)
            results[preset]['model'] = rows[0]['model']
            recipes[preset] = summarize(recipe_rows)
        peak = peak_rss_children_mib()
        first = next(iter(results.values()))['model']
        fast_model = results['fast']['model'] if 'fast' in results else first
        repeats = 1 if args.smoke else 5  # a smoke run only checks that each measurement runs
        speed = inference_speed(fast_model, repeats)
        plain_speed = inference_speed(fast_model, repeats, plain=True) if Path(fast_model).stem.startswith('fast') else None
        predict_s = predict_process_seconds(fast_model, repeats)
    cache_s = cache_load_seconds(repeats)
    text = '\n'.join(report(results, recipes, command, peak, fast_model, speed, plain_speed, predict_s, cache_s, repeats))
    print(text)
    if not args.smoke:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)

def report(results, recipes, command, peak, fast_model, speed, plain_speed, predict_s, cache_s, repeats) -> list:
    "The markdown report's lines: a table of the presets, the recipe runs alternating with each, and the fit-time ratios."
    lines = [f'# Benchmark results', '', f'Machine: {machine()}', '',
             f'Command: `{command}`; date {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}', '',
             '| preset | seeds | test acc. mean | min | max | train s (median) | whole process s (median) |',
             '| --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    for preset, r in results.items():
        lines.append(f"| {preset} | {r['seeds']} | {r['acc_mean']:.2%} | {r['acc_min']:.2%} | {r['acc_max']:.2%} | "
                     f"{r['train_median']:.2f} | {r['process_median']:.2f} |")
        if preset in recipes:
            rr = recipes[preset]
            lines.append(f"| public one-epoch recipe, restated in plain PyTorch (alternating with {preset}) | {rr['seeds']} | "
                         f"{rr['acc_mean']:.2%} | {rr['acc_min']:.2%} | {rr['acc_max']:.2%} | {rr['train_median']:.2f} | - |")
    if recipes:
        lines += ['', '| preset | fit time / recipe fit time (medians) | target | time target met? |', '| --- | ---: | ---: | --- |']
        for preset, rr in recipes.items():
            ratio, target = results[preset]['train_median'] / rr['train_median'], TARGETS.get(preset)
            lines.append(f"| {preset} | **{ratio:.2f}** | {f'{target:.2f}' if target else '-'} | "
                         f"{('yes' if ratio <= target else 'no') if target else '-'} |")
    lines += ['', f'Peak memory of a training or recipe process: {peak:.0f} MiB', '',
              f'Inference, batched (1024) on the CPU, `{Path(fast_model).stem}` model: {speed:,.0f} images/s' +
              (f' with its test-time averaging (3 views of each image), {plain_speed:,.0f} images/s without' if plain_speed else '') +
              f' (median of {repeats})', '',
              f'`mnist-digits predict` on one PNG, whole process: {predict_s:.2f} s (median of {repeats})', '',
              f'Loading MNIST from the cache: {cache_s*1000:.0f} ms (median of {repeats})', '']
    return lines

if __name__ == '__main__': main()
