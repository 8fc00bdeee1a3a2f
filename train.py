"""`python train.py [flags]` does what `mnist-digits train [flags]` does: the brief's entry point, kept as written."""
import sys

from mnist_digits.cli import main

if __name__ == '__main__': sys.exit(main(['train', *sys.argv[1:]]))
