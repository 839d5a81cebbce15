"""What clerks type by hand in the descriptive columns, mapped to the statistics' codes.

Reviewed, and kept to the certain cases: a word that could mean more than one
code (村干部 may be a farmer, a manager or a retiree) is not here, and a
roster row giving it keeps the word as written (待规范) for a clerk to settle.
Every entry is tested (tests/members/test_synonyms.py). Keys are compared
without spaces and in half-width form (``roster_values.text``).
"""

from __future__ import annotations

from members.choices import Education, Occupation

OCCUPATION_SYNONYMS: dict[str, str] = {
    # 农牧渔民
    "农民": Occupation.FARMER,
    "务农": Occupation.FARMER,
    "种地": Occupation.FARMER,
    "种田": Occupation.FARMER,
    "农业": Occupation.FARMER,
    "农业生产": Occupation.FARMER,
    "牧民": Occupation.FARMER,
    "渔民": Occupation.FARMER,
    "农牧民": Occupation.FARMER,
    # 离退休人员
    "退休": Occupation.RETIRED,
    "离休": Occupation.RETIRED,
    "离退休": Occupation.RETIRED,
    "退休干部": Occupation.RETIRED,
    "退休职工": Occupation.RETIRED,
    "退休教师": Occupation.RETIRED,
    "离休干部": Occupation.RETIRED,
    # 其他职业人员
    "个体户": Occupation.OTHER,
    "个体工商户": Occupation.OTHER,
    "个体经营": Occupation.OTHER,
    "其他": Occupation.OTHER,
    # 党政机关工作人员
    "公务员": Occupation.OFFICIAL,
    "机关干部": Occupation.OFFICIAL,
    "机关工作人员": Occupation.OFFICIAL,
    # 管理人员
    "企业管理人员": Occupation.MANAGER,
    # 专业技术人员
    "专业技术": Occupation.PROFESSIONAL,
    "教师": Occupation.PROFESSIONAL,
    "医生": Occupation.PROFESSIONAL,
    "护士": Occupation.PROFESSIONAL,
    "工程师": Occupation.PROFESSIONAL,
    # 学生
    "学生": Occupation.STUDENT,
    "在校学生": Occupation.STUDENT,
    "大学生": Occupation.STUDENT,
    # 工人
    "工人": Occupation.WORKER,
    "产业工人": Occupation.WORKER,
}

EDUCATION_SYNONYMS: dict[str, str] = {
    "博士": Education.DOCTORATE,
    "博士研究生": Education.DOCTORATE,
    "研究生": Education.MASTER,
    "硕士": Education.MASTER,
    "硕士研究生": Education.MASTER,
    "本科": Education.BACHELOR,
    "大学本科": Education.BACHELOR,
    "大本": Education.BACHELOR,
    "大专": Education.JUNIOR_COLLEGE,
    "专科": Education.JUNIOR_COLLEGE,
    "大学专科": Education.JUNIOR_COLLEGE,
    "中专": Education.SECONDARY_VOCATIONAL,
    "中技": Education.SECONDARY_VOCATIONAL,
    "技校": Education.SECONDARY_VOCATIONAL,
    "中等专科": Education.SECONDARY_VOCATIONAL,
    "高中": Education.HIGH_SCHOOL,
    "职高": Education.HIGH_SCHOOL,
    "普高": Education.HIGH_SCHOOL,
    "初中": Education.JUNIOR_HIGH,
    "小学": Education.PRIMARY,
    "小学及以下": Education.PRIMARY,
    "文盲": Education.PRIMARY,
    "半文盲": Education.PRIMARY,
}
