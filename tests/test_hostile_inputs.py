"""Hostile and awkward inputs on the command line: each file gets its answer or one line, and the others still get theirs."""
import json
from conftest import ROOT, cli, hostile_files

SHIPPED = ROOT/'mnist_digits'/'examples'

def test_each_odd_file_gets_its_line_and_the_good_ones_their_answer(tmp_path):
    hostile = hostile_files(tmp_path)
    (tmp_path/'seven.png').write_bytes((SHIPPED/'seven.png').read_bytes())
    for command in ('predict', 'read'):
        proc = cli(command, *hostile, 'seven.png', '--json', cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr  # some files could not be read
        answers = {a['file']: a for a in json.loads(proc.stdout)}
        assert answers['seven.png'].get('digit', answers['seven.png'].get('number')) in (7, '7'), answers['seven.png']
        for name, (message, digit) in hostile.items():
            if message: assert message in answers[name]['error'], (command, answers[name])
            else: assert str(answers[name].get('digit', answers[name].get('number'))) == str(digit), (command, answers[name])
        assert 'Traceback' not in proc.stderr, proc.stderr

def test_a_long_thin_line_is_refused_at_once(tmp_path):
    from PIL import Image, ImageDraw
    line = Image.new('L', (4000, 40), 255); ImageDraw.Draw(line).line([(5, 20), (3995, 20)], fill=0, width=1)
    line.save(tmp_path/'line.png')
    proc = cli('read', 'line.png', '--json', cwd=tmp_path)
    answer = json.loads(proc.stdout)[0]
    assert answer['number'] is None and answer['reason'].endswith('too long to be a number'), answer

def _disk_full_at(nbytes):
    "For a child process: writes past `nbytes` fail (EFBIG), as on a full disk."
    import resource, signal
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    return limit

def test_show_onto_a_full_disk_still_prints_the_answers(tmp_path):
    import subprocess
    from conftest import SCRIPT
    (tmp_path/'seven.png').write_bytes((SHIPPED/'seven.png').read_bytes())
    for command, answer in (('predict', 'seven.png: 7, '), ('read', 'seven.png: 7')):
        proc = subprocess.run([SCRIPT, command, 'seven.png', '--show', 'seen'], cwd=tmp_path, capture_output=True, text=True,
                              preexec_fn=_disk_full_at(100), timeout=120)
        assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr
        assert proc.stdout.startswith(answer), proc.stdout
        assert proc.stderr.strip().splitlines()[-1] == (f'mnist-digits {command}: could not write the 28x28 pictures in seen '
                                                        '(File too large); the answers stand'), proc.stderr
        assert not any((tmp_path/'seen').iterdir())  # nothing half-written

def forty_megapixels(path):
    "A 40-megapixel RGBA PNG of a thick 7 on a transparent sheet: 180 KB on disk, 160 MB decoded."
    from PIL import Image, ImageDraw
    image = Image.new('RGBA', (7999, 5000), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(3000, 1000), (5000, 1000), (3800, 4000)], fill=(0, 0, 0, 255), width=250)
    image.save(path)
    return path

def test_a_forty_megapixel_png_costs_bounded_memory(tmp_path):
    "Shrunk before any arithmetic: the whole command's peak stays far under the 2.4 GB that four float64 channels took."
    import subprocess, sys
    from conftest import SCRIPT
    forty_megapixels(tmp_path/'big.png')
    peak = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(p.stdout.strip()); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, '-c', peak, SCRIPT, 'predict', 'big.png'], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120).stdout.splitlines()
    assert out[0].startswith('big.png: 7, '), out
    assert int(out[1]) < 1_500_000, f'peak {int(out[1]) / 1e6:.2f} GB'  # KB; the process itself (torch) is about 0.7 GB
