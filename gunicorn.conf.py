"""Gunicorn settings for production. No client address, user agent or referrer is logged
(DESIGN §7): the access log format below has none of %(h)s, %(a)s or %(f)s, and the logger
class leaves addresses out of every line, access and error alike, whatever a format asks for
(app/logs.py; gunicorn's "Invalid request from ip=…" lines included)."""
import ctypes
import ctypes.util
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 60
accesslog = "-"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
logger_class = "app.logs.GunicornLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# glibc hands large blocks back to the system only when they were mmap'd, and after the first
# big free it raises its mmap threshold to 32 MiB, so the buffers of a 25 MB upload, a decoded
# photo or Argon2id's 64 MiB would then come from the heap and stay in the worker's RSS. A fixed
# 1 MiB threshold keeps every block that large returnable (measured in bench/README.md).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def post_fork(server, worker):
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        libc = ctypes.CDLL(libc_name)
        if hasattr(libc, "mallopt"):
            libc.mallopt(M_MMAP_THRESHOLD, 1024 * 1024)
            libc.mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024)


def post_worker_init(worker):
    """The app is loaded in each worker after the fork; its modules, templates and catalogs then
    live as long as the worker. Frozen, the collector stops walking them at each full
    collection: on a case page of 200 items such a collection took 88 ms of the request, and
    10–14 ms once frozen (bench/README.md, "Records and cases")."""
    import gc

    gc.collect()
    gc.freeze()
