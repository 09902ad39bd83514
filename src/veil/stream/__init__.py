"""Live camera streams anonymized before anything is stored (``veil stream``).

:mod:`veil.stream.realtime` redacts frames against a latency deadline (fail closed),
:mod:`veil.stream.camera` wires a source, the realtime redactor and the sinks for one camera,
:mod:`veil.stream.metrics` counts what happened (Prometheus text), :mod:`veil.stream.http` serves
health, metrics, the MJPEG preview and the HLS restream, :mod:`veil.stream.config` reads the
multi-camera YAML file.
"""
