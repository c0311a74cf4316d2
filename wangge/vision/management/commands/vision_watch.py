from django.core.management.base import BaseCommand, CommandError

from wangge.vision.watch import Watcher, cameras_for_shard


class Command(BaseCommand):
    help = "Watch cameras (this process's share: --shard i/n) and raise gathering alerts; runs until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--shard", default="0/1", help="i/n: watch cameras whose id % n == i")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: never)")

    def handle(self, *args, shard: str, seconds: float | None, **options):
        try:
            i, n = (int(x) for x in shard.split("/"))
            if not 0 <= i < n:
                raise ValueError
        except ValueError:
            raise CommandError("--shard must be i/n with 0 <= i < n, e.g. 0/2.") from None
        cameras = cameras_for_shard(shard=i, shards=n)
        self.stdout.write(f"watching {len(cameras)} camera(s): {', '.join(c.name for c in cameras) or '-'}")
        frames = Watcher(cameras).run(seconds=seconds)
        self.stdout.write(f"analysed {frames} frame(s)")
