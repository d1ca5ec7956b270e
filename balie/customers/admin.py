from django.contrib import admin

from .models import Customer, Identity


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "tier", "language", "merged_into"]
    list_filter = ["tier", "language"]
    search_fields = ["number", "name", "identities__value"]
    inlines = [IdentityInline]
    raw_id_fields = ["merged_into"]
