from django.urls import path

from norma.planning import registers, views

app_name = "planning"
urlpatterns = [
    path("risks/heat-map/", views.risk_heat_map, name="risk_heat_map"),
    *registers.ProcessRegister.urls(),
    *registers.ContextIssueRegister.urls(),
    *registers.ClimateDecisionRegister.urls(),
    *registers.InterestedPartyRegister.urls(),
    *registers.PartyRequirementRegister.urls(),
    *registers.RiskRegister.urls(),
    *registers.RiskActionRegister.urls(),
]
