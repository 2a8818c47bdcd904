"""Shop: the villages' products, their stock, batches (traceability) and store links."""
