from norma.planning.registers import ProcessRegister

app_name = "planning"
urlpatterns = [*ProcessRegister.urls()]
