"""Scale-out: the batch engine on a Ray cluster (optional extra ``veil[ray]``)."""
