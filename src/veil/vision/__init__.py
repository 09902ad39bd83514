"""Computer vision for Veil: detections, detectors, tracking, redaction, embeddings."""
