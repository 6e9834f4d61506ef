app_name = "dataio"
urlpatterns = []
