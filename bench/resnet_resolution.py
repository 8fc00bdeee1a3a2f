"""What a ResNet-18 training step costs at each input resolution on this machine (the 28x28 choice in nbs/04_model.ipynb).

    python bench/resnet_resolution.py [--sizes 28 32 56 64] [--bs 128] [--steps 7]

Times forward, backward and an Adam step on a batch of random 3-channel images, channels-last as training runs;
prints the median of the steps after the first, and what a 55,000-image epoch would take at that speed.
"""
import argparse, statistics, time

import torch
from torch import nn
from torchvision.models import resnet18


def step_seconds(size:int, bs:int, steps:int) -> float:
    "Median seconds of one training step of ResNet-18 on `bs` images of `size`x`size` (the first step left out)."
    torch.manual_seed(0)
    model = resnet18(num_classes=10).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters())
    x, y = torch.randn(bs, 3, size, size).to(memory_format=torch.channels_last), torch.randint(0, 10, (bs,))
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sizes', type=int, nargs='+', default=[28, 32, 56, 64], help='input sizes to time')
    p.add_argument('--bs', type=int, default=128, help='batch size')
    p.add_argument('--steps', type=int, default=7, help='steps per size (the first is left out of the median)')
    args = p.parse_args()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    print('| size | ms per step | s per 55,000-image epoch |\n|---|---|---|')
    for size in args.sizes:
        s = step_seconds(size, args.bs, args.steps)
        print(f'| {size}x{size} | {s*1000:.0f} | {55_000 / args.bs * s:.0f} |', flush=True)
