"""Value lists of the member roster, as the national collection form names them."""

from django.db import models

# The 56 ethnic groups in the order of GB 3304, then 其他 for anything else
# (e.g. 穿青人, or a naturalised citizen).
ETHNIC_GROUPS = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()
ETHNICITY_CHOICES = [(name, name) for name in ETHNIC_GROUPS] + [("其他", "其他")]
HAN = "汉族"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Education(models.TextChoices):
    DOCTORATE = "doctorate", "博士研究生"
    MASTER = "master", "硕士研究生"
    BACHELOR = "bachelor", "大学本科"
    JUNIOR_COLLEGE = "junior_college", "大学专科"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中等专科"
    HIGH_SCHOOL = "high_school", "高中"
    JUNIOR_HIGH = "junior_high", "初中"
    PRIMARY = "primary", "小学及以下"


# 大专及以上, as the statistics bulletin counts tertiary education.
TERTIARY_EDUCATION = (
    Education.DOCTORATE,
    Education.MASTER,
    Education.BACHELOR,
    Education.JUNIOR_COLLEGE,
)


class MemberCategory(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


class Occupation(models.TextChoices):
    WORKER = "worker", "工人"
    FARMER = "farmer", "农牧渔民"
    PROFESSIONAL = "professional", "专业技术人员"
    MANAGER = "manager", "管理人员"
    OFFICIAL = "official", "党政机关工作人员"
    STUDENT = "student", "学生"
    OTHER = "other", "其他职业人员"
    RETIRED = "retired", "离退休人员"


# The ways of leaving the Party, in the 党章's words: a member who for six months
# without good reason takes no part in party life is regarded as having lapsed
# (自行脱党) and is struck off; one who asks to leave is struck off (退党除名);
# one who is urged to leave and refuses is struck off (劝而不退除名); expulsion
# (开除党籍) is a disciplinary sanction. "出党（自动退党）" is not a 党章 term.
# PartyStatus, RosterStatus and MembershipReason use the same codes for them, so
# members.services.member_leave records one way of leaving in all three.


class PartyStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    SUSPENDED = "suspended", "停止党籍"
    RESERVED = "reserved", "保留党籍"
    DECEASED = "deceased", "去世"
    LAPSED = "lapsed", "自行脱党除名"
    RESIGNED = "resigned", "退党除名"
    REFUSED_TO_RESIGN = "refused_to_resign", "劝而不退除名"
    EXPELLED = "expelled", "开除党籍"
    # A probationary member whose 预备党员资格 is cancelled was never a full member.
    CANCELLED = "cancelled", "取消预备党员资格"


class RosterStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    TRANSFERRED_OUT = "transferred_out", "转出"
    LAPSED = "lapsed", "自行脱党除名"
    RESIGNED = "resigned", "退党除名"
    REFUSED_TO_RESIGN = "refused_to_resign", "劝而不退除名"
    EXPELLED = "expelled", "开除党籍"
    CANCELLED = "cancelled", "取消预备党员资格"
    DECEASED = "deceased", "去世"


class MembershipReason(models.TextChoices):
    JOINED = "joined", "入党/首次登记"
    # Admitted through the 发展党员 procedure: from the day of the 支部大会.
    ADMITTED = "admitted", "接收为预备党员"
    # A member first brought in by a roster: the row starts on 加入党组织日期, as
    # the roster says, so reports for past dates count them.
    ROSTER = "roster", "花名册登记（自入党日期）"
    TRANSFER_IN = "transfer_in", "转入"
    TRANSFER = "transfer", "支部间转接"
    REGROUP = "regroup", "调整党小组"
    TRANSFER_OUT = "transfer_out", "转出"
    LAPSED = "lapsed", "自行脱党除名"
    RESIGNED = "resigned", "退党除名"
    REFUSED_TO_RESIGN = "refused_to_resign", "劝而不退除名"
    EXPELLED = "expelled", "开除党籍"
    CANCELLED = "cancelled", "取消预备党员资格"
    DECEASED = "deceased", "去世"
    CORRECTION = "correction", "更正"


class DatePrecision(models.TextChoices):
    """How exactly a date was known: old rosters and files give joining dates to the month."""

    DAY = "day", "日"
    MONTH = "month", "月"
