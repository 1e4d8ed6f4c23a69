"""Demo and bulk tenants: realistic risky users, detections and history for demos and benchmarks."""
