"""``manage.py create_bucket``: create the object store's bucket (``S3_BUCKET``) when it is not
there yet, private; docker-compose's one-shot ``createbucket`` service runs it before the web
and worker services start. ``--wait SECONDS`` keeps trying while the store is still starting."""

import time

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "创建对象存储的存储桶（S3_BUCKET，私有）；已存在则不变。未设置 S3_BUCKET 时什么也不做。"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="对象存储尚未就绪时，在这么多秒内反复重试",
        )

    def handle(self, *args, wait=0, **options):
        storage = storages["default"]
        name = getattr(storage, "bucket_name", None)
        if not name:
            self.stdout.write("未设置 S3_BUCKET：文件存放在 MEDIA_ROOT，无需存储桶。")
            return
        deadline = time.monotonic() + wait
        while True:
            try:
                created = self._ensure(storage, name)
                break
            except (BotoCoreError, ClientError) as error:
                if time.monotonic() >= deadline:
                    raise CommandError(f"无法创建存储桶 {name}：{error}") from error
                time.sleep(2)
        self.stdout.write(f"已创建存储桶 {name}。" if created else f"存储桶 {name} 已存在。")

    def _ensure(self, storage, name: str) -> bool:
        """Create the bucket unless it exists; whether it was created. No ACL is sent: the
        bucket stays private, as the store makes new buckets."""
        client = storage.connection.meta.client
        try:
            client.head_bucket(Bucket=name)
            return False
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
                raise
        params = {"Bucket": name}
        region = client.meta.region_name
        if region and region != "us-east-1":  # S3 refuses the default region spelled out
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        client.create_bucket(**params)
        return True
