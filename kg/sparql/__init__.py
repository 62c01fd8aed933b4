"""Serving user SPARQL: sandboxed, killable query workers and what they write.

- ``pool``: the worker pool (leases, time limit, watchdog, healing, per-client limits);
- ``worker``: what runs inside a worker (evaluation, serialisation, the pipe protocol);
- ``sandbox``: the seccomp filter that keeps workers off the network;
- ``results``: streaming result writers with a row cap;
- ``dataset``: what a query's text says about its dataset and where a LIMIT fits.

The promise: no user query opens a network connection, runs past its time limit, or leaves the
pool with fewer working workers than it had.
"""
