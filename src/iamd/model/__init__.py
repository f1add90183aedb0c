"""Identity values shared by every layer: ARNs, unique ids, principals. Stdlib only."""
