"""Cluster mode (DESIGN.md §7): several orgs' peers following one chain stored in etcd."""
