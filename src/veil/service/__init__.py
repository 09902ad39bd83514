"""The Veil HTTP service: one FastAPI app for the person, the operator, the auditor and the witnesses."""
