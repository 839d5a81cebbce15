"""谈心谈话: the members' one-to-one talks before the 组织生活会, and the pairs a branch
still owes in its cycle (services, selectors, forms, views, exports)."""
