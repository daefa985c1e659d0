from django.contrib import admin

from copro.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined", "erased_at"]
    search_fields = ["email", "display_name"]
    exclude = ["password"]
    readonly_fields = ["last_login", "date_joined", "erased_at"]
