"""The demo's subscription: the city's case events go to the demo receiver of this very server (/exchange/receiver/),
standing in for the provincial 电子监察 platform, with the receiver's shared demo secret."""

import os

from django.conf import settings

from .models import Subscription


def load_subscriptions(admin) -> int:
    from tongban.org.models import Region

    url = os.environ.get("TONGBAN_DEMO_RECEIVER", "http://127.0.0.1:8000/exchange/receiver/")
    region = Region.objects.filter(code="370800").first()
    if region is None or Subscription.objects.filter(url=url).exists():
        return 0
    Subscription.objects.create(name="山东省电子监察系统(演示接收端)", url=url, region=region,
                                secret=settings.EXCHANGE_RECEIVER_SECRET, created_by=admin)
    return 1
