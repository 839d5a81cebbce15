"""民情日志: the cadres' diary of villagers' concerns and the secretary's monthly check."""
