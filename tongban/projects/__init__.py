"""(placeholder: the app is built by its issue)"""
