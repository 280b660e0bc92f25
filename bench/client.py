"""The benchmark's client side: keep-alive load from N threads, and comparing JSON keys."""
import http.client
import threading
import time


def call(conn, method, path, body, headers):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def headers_for(key, body):
    headers = {"Authorization": f"Bearer {key}", "Connection": "keep-alive"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return headers


def load(port, endpoint, ctx, key, clients, seconds):
    """Requests per second over `seconds` from `clients` threads, plus latencies and errors."""
    path, body = endpoint.path(ctx), endpoint.body
    headers = headers_for(key, body)
    barrier = threading.Barrier(clients + 1)
    counts, latencies, errors, ends = [0] * clients, [[] for _ in range(clients)], [], []

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        stop = time.perf_counter() + seconds
        try:
            while (now := time.perf_counter()) < stop:
                try:
                    status, text = call(conn, endpoint.method, path, body, headers)
                except (OSError, http.client.HTTPException) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    conn.close()
                    continue
                latencies[i].append(time.perf_counter() - now)
                if status == endpoint.status:
                    counts[i] += 1
                else:
                    errors.append(f"{status}: {text[:300]!r}")
        finally:
            ends.append(time.perf_counter())
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = max(ends) - started
    flat = sorted(x for per in latencies for x in per)
    return {"rps": sum(counts) / elapsed, "errors": errors,
            "p50_ms": 1000 * flat[len(flat) // 2] if flat else None}


def key_differences(a, b, path="$"):
    """Paths where the two JSON documents do not have the same keys."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = [(f"{path}: only in baseline: {sorted(set(a) - set(b))}, "
                 f"only in NextStep: {sorted(set(b) - set(a))}")] if set(a) != set(b) else []
        for k in sorted(set(a) & set(b)):
            found += key_differences(a[k], b[k], f"{path}.{k}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b) and path.endswith(".data"):
            return [f"{path}: {len(a)} items in baseline, {len(b)} in NextStep"]
        return [d for i, (x, y) in enumerate(zip(a[:3], b[:3], strict=False))
                for d in key_differences(x, y, f"{path}.{i}")]
    if (isinstance(a, dict) or isinstance(b, dict)) and a is not None and b is not None:
        return [f"{path}: an object on one side only"]
    return []
