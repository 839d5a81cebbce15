"""What the project's own processes report about themselves."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last sign of life of each background worker (``manage.py worker``).

    Written when a worker starts and every half lease while it runs; read by
    ``/health/`` so a monitor sees a site whose workers have all stopped.
    """

    name = models.CharField("进程", max_length=200, unique=True)  # host:pid
    seen_at = models.DateTimeField("最近一次报告")

    class Meta:
        verbose_name = "后台进程心跳"
        verbose_name_plural = "后台进程心跳"

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str) -> None:
        from django.utils import timezone

        cls.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
