"""远程教育站点: the branches' stations and the township clerk's monthly check of each."""
