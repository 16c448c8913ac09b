from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .api import api
from .portal.forms import StaffLoginForm

admin.site.site_header = "通办 · 政务服务管理后台"
admin.site.site_title = "通办管理后台"
admin.site.index_title = "管理首页"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=StaffLoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("api/v1/", api.urls),
    path("workcal/", include("tongban.workcal.urls")),
    path("hall/", include("tongban.cases.urls")),
    path("office/", include("tongban.workflow.urls")),
    path("licences/", include("tongban.licences.urls")),
    path("supervision/", include("tongban.supervision.urls")),
    path("projects/", include("tongban.projects.urls")),
    path("ratings/", include("tongban.ratings.urls")),
    path("exchange/", include("tongban.exchange.urls")),
    path("", include("tongban.catalog.urls")),
    path("", include("tongban.portal.urls")),
]

# Uploaded case materials are never served from MEDIA_URL: /hall/cases/<number>/materials/<id>/ checks the scope.
# Guide forms and samples (catalogue files, public by nature) are served in DEBUG only; production serves MEDIA_ROOT/guides.
if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL + "guides/", document_root=settings.MEDIA_ROOT / "guides")
