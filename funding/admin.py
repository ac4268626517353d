from django.contrib import admin

from .models import FinancialInstitution, FundingChannel, Quota


@admin.register(FundingChannel)
class FundingChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "has_quota", "position"]


@admin.register(FinancialInstitution)
class FinancialInstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["year", "channel", "region", "amount", "issuance_deadline"]
    list_filter = ["year", "channel"]
