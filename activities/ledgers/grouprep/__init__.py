"""党小组月度报告, 支部季度小结 and the township's 经验交流会: the groups' reporting routine."""
