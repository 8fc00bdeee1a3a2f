"""Round trip of the app's API on this machine: `mnist-digits app` in its own process, called with the official
gradio_client as a program would, by 1 and by 8 concurrent clients. Prints a markdown table; a benchmark, not a test.

    python bench/app_latency.py                         # 200 requests per row, the classic model, seven.png
    python bench/app_latency.py --requests 400 --clients 1 8 16

A round trip is `Client.predict(handle_file(image), api_name='/predict')` from call to answer: the upload, the queue,
the preprocessing, the digit model and the not-a-digit guard, and the JSON back. Each row is measured twice: with the
client's defaults, and with `ssl_verify=False`, which on a plain-http address changes nothing but the client's cost
(gradio_client opens a new httpx client for each of its connections, and each one loads the CA bundle, about 30 ms,
although http has no certificate to verify). The last row is the server's own share: the same request through Gradio's
plain HTTP API (`POST /gradio_api/call/predict`, then `GET` the result) with one kept-alive httpx connection.
Start-up is the time from starting the process to a page that answers.
"""
import argparse, os, socket, statistics, subprocess, sys, threading, time
from pathlib import Path

import httpx
from gradio_client import Client, handle_file

ROOT = Path(__file__).resolve().parents[1]

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def start_app(model:Path, port:int) -> tuple[subprocess.Popen, float]:
    "Start `mnist-digits app`; return the process and the seconds until its port answers."
    script = Path(sys.executable).parent/'mnist-digits'
    start = time.perf_counter()
    proc = subprocess.Popen([str(script), 'app', '--model', str(model), '--port', str(port)], stdout=subprocess.DEVNULL)
    while proc.poll() is None:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1): return proc, time.perf_counter() - start
        except OSError: time.sleep(0.05)
    raise SystemExit(f'the app exited with {proc.returncode}')

def round_trips(url:str, image:Path, clients:int, requests:int, **client_kwargs) -> tuple[list[float], float]:
    "Each of `clients` threads has its own Client and sends requests/clients in turn; the round trips and the wall time."
    per_client, times, lock = requests // clients, [], threading.Lock()
    connected = [Client(url, verbose=False, **client_kwargs) for _ in range(clients)]
    def work(client):
        for _ in range(per_client):
            t = time.perf_counter(); answer = client.predict(handle_file(image), api_name='/predict')
            assert answer['digit'] is not None, answer
            with lock: times.append(time.perf_counter() - t)
    threads = [threading.Thread(target=work, args=(c,)) for c in connected]
    start = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    return times, time.perf_counter() - start

def plain_http(url:str, image:Path, requests:int) -> tuple[list[float], float]:
    "The same request through Gradio's plain HTTP API, one connection kept alive: upload, call, read the result."
    times, api = [], url + 'gradio_api'
    with httpx.Client(timeout=60) as http:
        start = time.perf_counter()
        for _ in range(requests):
            t = time.perf_counter()
            with open(image, 'rb') as f: path = http.post(f'{api}/upload', files={'files': f}).json()[0]
            file = {'path': path, 'meta': {'_type': 'gradio.FileData'}}
            event = http.post(f'{api}/call/predict', json={'data': [file]}).json()['event_id']
            assert '"digit": 7' in http.get(f'{api}/call/predict/{event}').text
            times.append(time.perf_counter() - t)
        return times, time.perf_counter() - start

def p95(xs:list[float]) -> float: return statistics.quantiles(xs, n=20)[-1]

def row(what:str, clients:int, times:list[float], wall:float) -> str:
    return (f'| {what} | {clients} | {len(times)} | {statistics.median(times) * 1000:.0f} ms | {p95(times) * 1000:.0f} ms '
            f'| {len(times) / wall:.1f} |')

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', default=str(ROOT/'nbs'/'models'/'classic.safetensors'), help='the checkpoint to serve')
    parser.add_argument('--image', default=str(ROOT/'mnist_digits'/'examples'/'seven.png'), help='the image every request sends')
    parser.add_argument('--requests', type=int, default=200, help='requests per row (after 10 to warm up)')
    parser.add_argument('--clients', type=int, nargs='+', default=[1, 8], help='numbers of concurrent clients, a row each')
    args = parser.parse_args()
    port = free_port()
    proc, startup = start_app(Path(args.model), port)
    try:
        url, image = f'http://127.0.0.1:{port}/', Path(args.image)
        round_trips(url, image, 1, 10)  # warm up: first requests compile and allocate
        print(f'`python bench/app_latency.py --requests {args.requests} --clients {" ".join(map(str, args.clients))}`, '
              f'{Path(args.model).name}, {image.name} ({image.stat().st_size:,} bytes), {os.cpu_count()} cores\n')
        print(f'start-up (process start to a page that answers): {startup:.1f} s\n')
        print('| client | concurrent clients | requests | median round trip | p95 | answers/s |')
        print('| --- | ---: | ---: | ---: | ---: | ---: |')
        for clients in args.clients:
            for what, kwargs in (('gradio_client, defaults', {}), ('gradio_client, ssl_verify=False', {'ssl_verify': False})):
                print(row(what, clients, *round_trips(url, image, clients, args.requests, **kwargs)), flush=True)
        print(row("plain HTTP API (the server's share)", 1, *plain_http(url, image, args.requests)), flush=True)
    finally:
        proc.terminate(); proc.wait(10)

if __name__ == '__main__': main()
