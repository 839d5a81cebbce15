"""党员学习教育: study sessions with their attendance, and each member's 学时 against the
yearly target."""
