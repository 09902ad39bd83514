"""Live camera streams anonymized before anything is stored (``veil stream``).

:mod:`veil.stream.request` is what a run is asked (typed, light), :mod:`veil.stream.live` runs it
(:func:`~veil.stream.live.run_stream`, what ``veil stream`` calls), :mod:`veil.stream.setup`
builds the cameras from it, :mod:`veil.stream.realtime` redacts frames against a latency
deadline (fail closed), :mod:`veil.stream.camera` wires a source, the realtime redactor and the
sinks for one camera,
:mod:`veil.stream.metrics` counts what happened (Prometheus text), :mod:`veil.stream.http` serves
health, metrics, the MJPEG preview and the HLS restream, :mod:`veil.stream.config` reads the
multi-camera YAML file.
"""
