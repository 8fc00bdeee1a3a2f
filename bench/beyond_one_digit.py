"""Issue 10's targets, measured on this machine: how often `predict` refuses pictures the not-a-digit guard never saw,
how many whole numbers `read_number` reads exactly, and how long one `predict` and one `read` take, whole process.

    python bench/beyond_one_digit.py --model nbs/models/classic.safetensors            # 1,000 of each kind (a few minutes)
    python bench/beyond_one_digit.py --model models/accurate.safetensors --n 300

Prints markdown tables (for bench/results.md). The held-out pictures use fonts and a photo the guard was never trained
on (the "not a digit" chapter); the numbers are written with MNIST test digits (the "reading" chapter).
"""
import argparse, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

from scaffold import STYLES, compose, held_out_sets, reading_accuracy, refusals

def refusal_table(model, n:int) -> str:
    "The refusal rate and digits' accuracy per kind of held-out picture, as markdown."
    rows = refusals(held_out_sets(n), model)
    out = ['| pictures | n | refused | accuracy of answers | accuracy without guard |', '|---|---:|---:|---:|---:|']
    for r in rows:
        acc = lambda k: f'{r[k]:.2%}' if k in r else ''
        out.append(f"| {r['pictures']} | {r['n']:,} | {r['refused']:.1%} | {acc('accuracy of answers')} | {acc('accuracy without guard')} |")
    return '\n'.join(out)

def reading_table(model, n:int) -> str:
    "Whole numbers of 2-6 MNIST test digits read exactly, per writing style, as markdown."
    out = ['| style | numbers | exact | too many marks | too few marks | possible (digits right in MNIST form) |', '|---|---:|---:|---:|---:|---:|']
    for style in STYLES:
        m = reading_accuracy(model, style, n)
        out.append(f"| {style} | {n:,} | {m['exact']:.1%} | {m['too many marks']:.1%} | {m['too few marks']:.1%} | {m['possible']:.1%} |")
    return '\n'.join(out)

def startup(model, runs:int=5) -> str:
    "Median whole-process seconds of `mnist-digits predict` on one image and `read` on one number, as markdown."
    from mnist_digits.data import load_mnist
    _, _, x, y = load_mnist()
    folder = Path(tempfile.mkdtemp())
    compose([x[0]], np.random.default_rng(0)).save(folder/'digit.png')
    compose(list(x[:4]), np.random.default_rng(0)).save(folder/'number.png')
    out = ['| command | median of %d runs |' % runs, '|---|---:|']
    for command, image in (('predict', 'digit.png'), ('read', 'number.png')):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(['mnist-digits', command, str(folder/image), '--model', str(model)], capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        out.append(f'| mnist-digits {command} (one image) | {statistics.median(times):.2f} s |')
    return '\n'.join(out)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--model', required=True, help='the digit model to measure with (.safetensors)')
    p.add_argument('--n', type=int, default=1000, help='pictures of each kind, and numbers of each style (default 1000)')
    p.add_argument('--runs', type=int, default=5, help='runs of each command for the start-up times (default 5)')
    args = p.parse_args()
    model = str(Path(args.model).resolve())
    print(f'## "Not a digit" and whole numbers\n\n`python bench/beyond_one_digit.py --model {args.model} --n {args.n}`\n')
    print('### Refusals on held-out pictures\n'); print(refusal_table(model, args.n), '\n')
    print('### Whole numbers read exactly\n'); print(reading_table(model, args.n), '\n')
    print('### Start-up, whole process\n'); print(startup(model, args.runs))
