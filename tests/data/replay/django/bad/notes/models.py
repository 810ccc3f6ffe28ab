from django.db import models


class Note(models.Model):
    body = models.TextField()


class Tag(models.Model):
    name = models.CharField(max_length=40)
    note = models.ForeignKey(Note, on_delete=models.CASCADE)
