"""Microseconds per image of one training step (forward, backward, Adam) in a bare loop: bench/NOTES.md section 8.

    python bench/step_probe.py                         # seed (ReLU first / pool first) and fast, float32 and bfloat16
    python bench/step_probe.py --bs 64 128 256 512 --threads 1 2
    python bench/step_probe.py --no-mkldnn
    python bench/step_probe.py --nets fast fast_patches    # fast against the same shape built from matrix multiplies

Real MNIST images, channels-last as our Learner trains; the median of 30 steps after 10 of warm-up.
"""
import argparse, statistics, sys, time
from pathlib import Path
import torch
from torch import nn
import torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).parent))
from learner_probe import seed_relu_first
from mnist_digits.data import load_mnist, normalize
from mnist_digits.model import fast_cnn, classic_cnn

def fast_patches() -> nn.Module:
    "fast's shape with matrix-multiply layers: 2x2 pixel patches stacked into channels (pixel_unshuffle), then 3x3 or 1x1 convolutions."
    unshuffle = lambda pad=0: nn.Sequential(nn.ZeroPad2d((0, pad, 0, pad)), nn.PixelUnshuffle(2))
    return nn.Sequential(unshuffle(), nn.Conv2d(4, 16, 3, padding=1), nn.ReLU(),
                         unshuffle(), nn.Conv2d(64, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                         unshuffle(1), nn.Conv2d(128, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.Flatten(), nn.Linear(1024, 10))

NETS = {'seed_relu_first': seed_relu_first, 'seed': classic_cnn, 'fast': lambda: fast_cnn(shift_average=False), 'fast_patches': fast_patches}

def us_per_image(net, x, y, bf16=False, steps=40, warmup=10) -> float:
    opt, times = torch.optim.Adam(net.parameters(), 1e-3), []
    for _ in range(steps):
        start = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16): out = net(x)
        loss = F.cross_entropy(out.float(), y); opt.zero_grad(); loss.backward(); opt.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times[warmup:]) / len(x) * 1e6

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--nets', nargs='+', default=['seed_relu_first', 'seed', 'fast'], choices=list(NETS))
    p.add_argument('--bs', nargs='+', type=int, default=[128])
    p.add_argument('--threads', nargs='+', type=int, default=[torch.get_num_threads()])
    p.add_argument('--no-mkldnn', action='store_true', help="turn oneDNN off (torch.backends.mkldnn.enabled = False)")
    args = p.parse_args()
    torch.backends.mkldnn.enabled = not args.no_mkldnn
    images, labels = load_mnist()[:2]
    for threads in args.threads:
        torch.set_num_threads(threads)
        for bs in args.bs:
            x = normalize(torch.from_numpy(images[:bs])).unsqueeze(1).contiguous(memory_format=torch.channels_last)
            y = torch.from_numpy(labels[:bs]).long()
            for name in args.nets:
                row = {prec: us_per_image(NETS[name]().to(memory_format=torch.channels_last), x, y, bf16=prec == 'bf16') for prec in ('fp32', 'bf16')}
                print(f"{threads} threads, batch {bs:4}, {name:16}: float32 {row['fp32']:6.1f} us/image, bfloat16 {row['bf16']:6.1f}", flush=True)
