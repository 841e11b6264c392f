"""Administration (administration): the municipality's organisations, users, roles and the access review.

An administrator (role ``administrator``) administers its own organisation and every organisation below
it in the tree that ``organisation.parent_id`` draws (:mod:`workflow.admin.scope`); the administrator of
the root administers the whole municipality. The role brings no case work, no decision mandate and no
individual-level case content. Every change is an append-only :class:`~workflow.schema.tables.AdminEvent`.
"""
